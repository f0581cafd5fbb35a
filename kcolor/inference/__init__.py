"""Inference: the `Colorizer` (photos at full resolution), batch planning for folders, and
export to TFLite / SavedModel.

May import every stage below it (color, data, models, training, evaluation) and the shared
top-level modules; only kcolor.web and the CLI import it.
"""
