"""Data: photo sources (folders, .txt lists, TFDS), the tf.data pipeline and its PyDataset twin
for other backends, the counts of what was skipped, dataset inspection, and counting a
source's colors into a prior.

May import kcolor.color and the shared top-level modules; nothing from models, training,
evaluation or inference.
"""
