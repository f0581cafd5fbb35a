"""Measure a Keras model's parameters and floating-point operations, by code, not by hand.

FLOPs come from TensorFlow's graph profiler on the model's frozen inference graph for one image:
one multiply-add counts as 2 FLOPs (the profiler's convention, and the one the pix2pix-size
"12 GFLOPs" figure in our issues uses).
"""

import tensorflow as tf
from tensorflow.python.framework.convert_to_constants import (
    convert_variables_to_constants_v2,
)


def count_flops(model, input_shapes):
    """FLOPs of one forward pass with inputs of `input_shapes` (each including batch dim 1)."""
    specs = [tf.TensorSpec(shape, tf.float32) for shape in input_shapes]

    @tf.function
    def forward(*inputs):
        return model(list(inputs) if len(inputs) > 1 else inputs[0], training=False)

    concrete = forward.get_concrete_function(*specs)
    frozen = convert_variables_to_constants_v2(concrete)
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    profile = tf.compat.v1.profiler.profile(
        graph=frozen.graph, run_meta=tf.compat.v1.RunMetadata(), cmd="op", options=options
    )
    return int(profile.total_float_ops)


def model_costs(model, image_size=256):
    """`{"params", "flops", "macs"}` for one square image of `image_size` (MACs = FLOPs / 2),
    every input of the model fed (a guided model's points and palette too)."""
    shapes = [
        (1, image_size, image_size, spec.shape[-1]) if len(spec.shape) == 4 else (1, spec.shape[-1])
        for spec in model.inputs
    ]
    flops = count_flops(model, shapes)
    return {"params": int(model.count_params()), "flops": flops, "macs": flops // 2}
