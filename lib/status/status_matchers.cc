#include "lib/status/status_matchers.h"
