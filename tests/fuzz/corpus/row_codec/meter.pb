
)districts/120119/enterprises/e1/meters/m18A33333‹ˆ@