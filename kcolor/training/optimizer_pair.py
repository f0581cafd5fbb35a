"""`OptimizerPair`: a GAN's two optimizers, seen by Keras' JAX trainer as one optimizer."""

import keras


class OptimizerPair(keras.optimizers.Optimizer):
    """Holds the generator's and the discriminator's optimizers.

    Keras' JAX trainer carries `model.optimizer.variables` through every jitted step and writes
    them back after `fit`; a model with two optimizers hands it this pair, whose variables are
    both optimizers' (first, then second). It never applies gradients itself: the model's
    `train_step` calls each optimizer's `stateless_apply` on its own slice.
    """

    def __init__(self, first, second, name="optimizer_pair"):
        super().__init__(learning_rate=0.0, name=name)
        self.first = first
        self.second = second
        self.built = True

    @property
    def variables(self):
        return self.first.variables + self.second.variables

    @property
    def iterations(self):
        return self.first.iterations

    def build(self, variables):
        self.built = True

    def apply(self, grads, trainable_variables=None):
        raise NotImplementedError("OptimizerPair holds state only; apply each optimizer")
