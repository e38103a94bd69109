
gate.csv9
*districts/120119/enterprises/e1/cameras/c1	津A12345H