"""Evaluation: the protocols behind `kcolor evaluate`, the metrics (each checked against an
independent reference in tests), FID's Inception features, and the plots.

May import kcolor.color, kcolor.data, kcolor.models and the shared top-level modules; not
kcolor.training (its sibling) nor kcolor.inference.
"""
