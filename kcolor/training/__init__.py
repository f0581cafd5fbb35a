"""Training: one run (`run.train`), split by role: its data (`datasets`), its model and losses
(`model_build`, `losses`, `color_gan`), where and in which precision it runs (`strategy`,
`backend`, `worker`), what it writes (`callbacks`, `budget`), and the recipe (`config`).

May import kcolor.color, kcolor.data, kcolor.models and the shared top-level modules; not
kcolor.evaluation (its sibling) nor kcolor.inference.
"""
