"""Color: sRGB <-> Lab math, the network's normalization, the ab bins, the color prior and the
photo filters (grayscale, colorfulness).

The first stage: imports nothing from kcolor but the shared top-level modules (kcolor.fileio,
kcolor.names, ...). `lab_math`, `lab_scale`, `ab_bins` and `prior` need only NumPy, so the
TensorFlow-free colorize path can use them; `lab_ops` binds the same math to `keras.ops`.
"""
