"""The network's Lab normalization constants (their only definition; see kcolor.color's table).

Kept apart from kcolor.color so that model code can use them without importing TensorFlow.
"""

L_CENTER = 50.0
L_SCALE = 50.0
AB_SCALE = 110.0
