"""Names of the choices kcolor offers, importable without TensorFlow (for the CLI's --help)."""

GENERATOR_ARCHS = ("default", "unet", "cnn")
ARCHS = GENERATOR_ARCHS + ("gan",)
REGRESSION_LOSSES = ("mse", "l1", "huber")
LOSSES = REGRESSION_LOSSES + ("classification",)
LR_SCHEDULES = ("cosine", "constant")
ADVERSARIAL_KINDS = ("vanilla", "lsgan", "hinge")
STRATEGIES = ("auto", "default", "mirrored", "multi-worker", "tpu")
PRECISIONS = ("off", "bf16", "fp16")
PROTOCOLS = ("standard", "seed")
EVAL_METRICS = ("mse", "psnr", "ssim", "fid", "colorfulness", "auc", "cast")
BACKENDS = ("tensorflow", "jax", "torch")

# Huber loss delta on normalized ab (kcolor.training.losses explains the choice); here so the config
# module needs no Keras import before the backend is chosen.
HUBER_DELTA = 0.1

# The `cast` metric's neutral pixels: true chroma sqrt(a^2 + b^2) under this many Lab units
# (kcolor.evaluation.metrics scores it; kcolor.training.losses logs it while training).
NEUTRAL_CHROMA = 5.0

# Videos run the network on every Nth frame and carry the colors along the optical flow between
# (kcolor.inference.video): at 3, per-frame PSNR within 0.1 dB of every frame and less flicker on
# both shared clips, and 640x272 at 25 frames/s on 2 cores (docs/benchmarks.md, issue 31).
VIDEO_NETWORK_EVERY = 3
