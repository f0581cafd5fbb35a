"""The few NumPy-style functions `kcolor.color.lab_math` and `kcolor.color.photo_filters` use,
as plain TensorFlow ops: the tf.data pipeline and TFLite graphs use them whatever
the Keras backend is."""

import types

import tensorflow as tf

TF_NUMPY = types.SimpleNamespace(
    cast=tf.cast,
    clip=tf.clip_by_value,
    concatenate=tf.concat,
    convert_to_tensor=tf.convert_to_tensor,
    logical_and=tf.logical_and,
    max=tf.reduce_max,
    maximum=tf.maximum,
    mean=tf.reduce_mean,
    min=tf.reduce_min,
    power=tf.pow,
    round=tf.round,
    sqrt=tf.sqrt,
    square=tf.square,
    stack=tf.stack,
    tensordot=tf.tensordot,
    var=tf.math.reduce_variance,
    where=tf.where,
)
