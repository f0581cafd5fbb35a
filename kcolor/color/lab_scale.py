"""The network's Lab normalization constants (their only definition; the table is in
kcolor.color.lab_ops).

Kept apart from kcolor.color.lab_ops so that model code can use them without importing TensorFlow.
"""

L_CENTER = 50.0
L_SCALE = 50.0
AB_SCALE = 110.0
