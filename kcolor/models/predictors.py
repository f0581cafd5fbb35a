"""Generators behind one interface, `predict_ab(l_norm) -> ab_norm`, whatever their format.

A predictor takes normalized lightness `(B, H, W, 1)` and returns normalized ab `(B, H, W, 2)`
(ranges in kcolor/color/lab_ops.py); `guided` ones also read a `kcolor.color.hints.Guidance`
(points and palette), which the others ignore. Formats: `gray` (no color), a run folder, a
`.keras` file, a SavedModel folder, and a `.tflite` file run by ai-edge-litert. Baselines for
the hint sweep: `hints-only` (the points painted) and `levin` (the points propagated).

`.tflite` files written by `kcolor export` carry the Lab normalization inside the graph and a
signature named "colorize" (input "lightness": L in [0, 100]; output "ab": Lab units); other
`.tflite` files are assumed to map normalized L to normalized ab directly.
"""

from pathlib import Path

import numpy as np

from kcolor.color.lab_scale import AB_SCALE, L_CENTER, L_SCALE
from kcolor.quiet import native_stderr_silenced

GRAY_BASELINE = "gray"
HINTS_ONLY_BASELINE = "hints-only"
LEVIN_BASELINE = "levin"
BASELINES = (GRAY_BASELINE, HINTS_ONLY_BASELINE, LEVIN_BASELINE)
TFLITE_SIGNATURE = "colorize"
GUIDED_SIGNATURE = "colorize_guided"
SUGGEST_SIGNATURE = "suggest"
BACKENDS = ("auto", "keras", "tflite")


class ModelLoadError(ValueError):
    """A model argument that names nothing loadable; the message says what is accepted."""


def load_keras_model(path):
    """`keras.saving.load_model(path, compile=False)` with one-line errors for bad files.

    A truncated download or a file of another format named `.keras` gets "exists but is not a
    readable Keras model", not a traceback, and not Keras' misleading "File not found".
    """
    import zipfile

    import keras

    import kcolor.models.presets  # noqa: F401  (registers kcolor's classes for deserialization)

    path = Path(path)
    if not path.is_file():
        raise ModelLoadError(f"{path}: no such file")
    if not zipfile.is_zipfile(path):
        raise ModelLoadError(
            f"{path}: the file exists but is not a readable Keras model (truncated, or another "
            "format)"
        )
    try:
        return keras.saving.load_model(path, compile=False)
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ModelLoadError(
            f"{path}: the file exists but is not a readable Keras model ({reason[:200]})"
        ) from None


class GrayBaseline:
    """Predicts ab = 0: the input's own lightness as a gray image."""

    name = GRAY_BASELINE
    input_size = None
    size_multiple = 1
    guided = False

    def predict_ab(self, l_norm, guidance=None):
        return np.zeros(np.shape(l_norm)[:-1] + (2,), np.float32)


class HintsOnlyBaseline(GrayBaseline):
    """The hint patches painted on the gray photo, nothing else: what the points alone give."""

    name = HINTS_ONLY_BASELINE
    guided = True

    def predict_ab(self, l_norm, guidance=None):
        if guidance is None:
            return super().predict_ab(l_norm)
        return guidance.hint_ab * guidance.hint_mask


class LevinBaseline(GrayBaseline):
    """The hints propagated by lightness affinity (Levin et al. 2004,
    kcolor.color.propagation): what classical propagation gives from the same points."""

    name = LEVIN_BASELINE
    guided = True

    def predict_ab(self, l_norm, guidance=None):
        from kcolor.color.propagation import propagate_colors

        if guidance is None:
            return super().predict_ab(l_norm)
        lightness = (np.asarray(l_norm, np.float32)[..., 0] * L_SCALE + L_CENTER) / 100.0
        return np.stack(
            [
                propagate_colors(image, hint_ab, mask)
                for image, hint_ab, mask in zip(
                    lightness, guidance.hint_ab, guidance.hint_mask, strict=True
                )
            ]
        )


class KerasGenerator:
    """A `.keras` generator, or the `generator.keras` of a run folder."""

    input_size = None

    def __init__(self, path, name):
        self.name = name
        self.model = load_keras_model(path)
        self.size_multiple = getattr(self.model, "size_multiple", 16)
        self.guided = bool(getattr(self.model, "guided", False))

    def predict_ab(self, l_norm, guidance=None):
        x = np.asarray(l_norm, np.float32)
        if self.guided:
            x = [x, *(guidance or _empty_guidance(x)).arrays()]
        # An eager call, not predict(): photos of many shapes would make predict() retrace with
        # unknown dimensions, where Keras' bilinear UpSampling2D fails.
        return np.asarray(self.model(x, training=False), np.float32)

    def predict_distribution(self, l_norm, guidance=None):
        """The class head's ab distribution `(B, h, w, Q)` (softmax at T = 1, at the head's
        resolution) and the bin centers `(Q, 2)` in Lab units.

        Raises:
            ValueError: the model has a regression head (no distribution).
        """
        import keras

        from kcolor.models.blocks import CLASS_LOGITS_LAYER

        if getattr(self, "_logits_model", None) is None:
            try:
                logits = self.model.get_layer(CLASS_LOGITS_LAYER).output
            except ValueError:
                raise ValueError(f"{self.name} has no color-class head to suggest from") from None
            self._logits_model = keras.Model(self.model.inputs, logits)
            decoder = self.model.get_layer("ab_annealed_mean")
            self._centers = np.asarray(decoder.centers, np.float32) * AB_SCALE
        x = np.asarray(l_norm, np.float32)
        if self.guided:
            x = [x, *(guidance or _empty_guidance(x)).arrays()]
        logits = np.asarray(self._logits_model(x, training=False), np.float64)
        logits -= logits.max(axis=-1, keepdims=True)
        probs = np.exp(logits)
        return (probs / probs.sum(axis=-1, keepdims=True)).astype(np.float32), self._centers


class SavedModelGenerator:
    """A SavedModel; `kcolor export` ones take L in [0, 100] and return ab in Lab units."""

    input_size = None
    size_multiple = 16
    guided = False

    def __init__(self, path, name):
        import tensorflow as tf

        self.name = name
        self._loaded = tf.saved_model.load(str(path))
        signatures = self._loaded.signatures
        self.lab_units = TFLITE_SIGNATURE in signatures
        self.signature = signatures[TFLITE_SIGNATURE if self.lab_units else "serving_default"]
        self.input_name = next(iter(self.signature.structured_input_signature[1]))
        shape = self.signature.structured_input_signature[1][self.input_name].shape
        if shape[1] is not None and shape[2] is not None:
            self.input_size = (int(shape[1]), int(shape[2]))
        # `kcolor export` signatures take one image; a graph traced for batch 1 may hold that
        # batch in constants (a Reshape), so feed it one image at a time.
        self.batch = shape[0]
        self.guided = GUIDED_SIGNATURE in signatures
        self.guided_signature = signatures[GUIDED_SIGNATURE] if self.guided else None

    def predict_ab(self, l_norm, guidance=None):
        import tensorflow as tf

        x = np.asarray(l_norm, np.float32)
        if self.lab_units:
            x = x * L_SCALE + L_CENTER
        if self.guided and guidance is not None:
            return self._run_guided(x, guidance, self.guided_signature, "ab") / AB_SCALE
        step = self.batch or len(x)
        parts = []
        for start in range(0, len(x), step):
            outputs = self.signature(**{self.input_name: tf.constant(x[start : start + step])})
            parts.append(np.asarray(next(iter(outputs.values())), np.float32))
        ab = np.concatenate(parts)
        return ab / AB_SCALE if self.lab_units else ab

    def predict_distribution(self, l_norm, guidance=None):
        """The export's "suggest" signature: `(probabilities (B, h, w, Q), centers (Q, 2))`."""
        signatures = self._loaded.signatures
        if SUGGEST_SIGNATURE not in signatures:
            raise ValueError(f"{self.name} has no suggest signature (a guided class-head export)")
        x = np.asarray(l_norm, np.float32) * L_SCALE + L_CENTER
        if guidance is None:
            guidance = _empty_guidance(x)
        probs = self._run_guided(x, guidance, signatures[SUGGEST_SIGNATURE], "probabilities")
        return probs, _bin_centers()

    def _run_guided(self, lightness, guidance, signature, output):
        """A guided signature, one image at a time (inputs in Lab units)."""
        import tensorflow as tf

        parts = []
        for index in range(len(lightness)):
            one = slice(index, index + 1)
            outputs = signature(
                lightness=tf.constant(lightness[one]),
                hint_ab=tf.constant(guidance.hint_ab[one] * AB_SCALE),
                hint_mask=tf.constant(guidance.hint_mask[one]),
                palette=tf.constant(guidance.palette[one]),
            )
            parts.append(np.asarray(outputs[output], np.float32))
        return np.concatenate(parts)


def _bin_centers():
    from kcolor.color.ab_bins import in_gamut_bins

    return in_gamut_bins()


def _empty_guidance(lightness):
    """No points and no palette for a batch `(B, H, W, 1)`."""
    from kcolor.color.hints import Guidance

    return Guidance.empty(len(lightness), lightness.shape[1], lightness.shape[2], _bin_centers())


class LiteRTGenerator:
    """A `.tflite` generator run by ai-edge-litert, one image at a time (the phone's path)."""

    size_multiple = 16
    guided = False

    def __init__(self, path, name, num_threads=None):
        from ai_edge_litert.interpreter import Interpreter

        self.name = name
        try:
            with native_stderr_silenced():  # "Created TensorFlow Lite XNNPACK delegate"
                self.interpreter = Interpreter(model_path=str(path), num_threads=num_threads)
        except (ValueError, RuntimeError):
            raise ModelLoadError(
                f"{path}: the file exists but is not a readable TFLite model (truncated, or "
                "another format)"
            ) from None
        signatures = self.interpreter.get_signature_list()
        self.lab_units = TFLITE_SIGNATURE in signatures
        # A guided export: "colorize" (automatic) first, then "colorize_guided".
        self.guided = GUIDED_SIGNATURE in signatures
        self._guided_runner = None
        self.input = self.interpreter.get_input_details()[0]
        self.output_index = self.interpreter.get_output_details()[0]["index"]
        shape = self.input["shape"]
        self.input_size = (int(shape[1]), int(shape[2])) if shape[1] > 0 else None
        with native_stderr_silenced(always=True):  # LiteRT's XNNPACK notice, in any use
            self.interpreter.allocate_tensors()
        self._shape = tuple(shape)

    def predict_ab(self, l_norm, guidance=None):
        x = np.asarray(l_norm, np.float32)
        if self.lab_units:
            x = x * L_SCALE + L_CENTER
        if self.guided and guidance is not None:
            return self._predict_guided(x, guidance)
        results = []
        for image in x:
            batch = image[np.newaxis]
            if self._shape != batch.shape:
                if self.input_size and tuple(self.input_size) != batch.shape[1:3]:
                    raise ValueError(
                        f"{self.name} takes fixed {self.input_size[0]}x{self.input_size[1]} "
                        f"inputs, got {batch.shape[1]}x{batch.shape[2]}"
                    )
                self.interpreter.resize_tensor_input(self.input["index"], batch.shape)
                with native_stderr_silenced(always=True):
                    self.interpreter.allocate_tensors()
                self._shape = batch.shape
            self.interpreter.set_tensor(self.input["index"], batch)
            with native_stderr_silenced():
                self.interpreter.invoke()
            results.append(self.interpreter.get_tensor(self.output_index)[0])
        ab = np.stack(results).astype(np.float32)
        return ab / AB_SCALE if self.lab_units else ab

    def predict_distribution(self, l_norm, guidance=None):
        """The export's "suggest" signature: `(probabilities (B, h, w, Q), centers (Q, 2))`.

        Raises:
            ValueError: an export without it (automatic, or a regression head)."""
        if SUGGEST_SIGNATURE not in self.interpreter.get_signature_list():
            raise ValueError(f"{self.name} has no suggest signature (a guided class-head export)")
        x = np.asarray(l_norm, np.float32) * L_SCALE + L_CENTER
        if guidance is None:
            guidance = _empty_guidance(x)
        probs = self._predict_guided(x, guidance, SUGGEST_SIGNATURE, "probabilities")
        return probs, _bin_centers()

    def _predict_guided(self, lightness, guidance, signature=GUIDED_SIGNATURE, output="ab"):
        """A guided signature, one image at a time (inputs in Lab units)."""
        runners = self._guided_runner = self._guided_runner or {}
        if signature not in runners:
            with native_stderr_silenced(always=True):
                runners[signature] = self.interpreter.get_signature_runner(signature)
        if self.input_size and tuple(self.input_size) != lightness.shape[1:3]:
            raise ValueError(
                f"{self.name} takes fixed {self.input_size[0]}x{self.input_size[1]} inputs, got "
                f"{lightness.shape[1]}x{lightness.shape[2]}"
            )
        results = []
        for index, image in enumerate(lightness):
            with native_stderr_silenced():
                outputs = runners[signature](
                    lightness=image[np.newaxis],
                    hint_ab=guidance.hint_ab[index : index + 1] * AB_SCALE,
                    hint_mask=guidance.hint_mask[index : index + 1],
                    palette=guidance.palette[index : index + 1],
                )
            results.append(outputs[output][0])
        values = np.stack(results).astype(np.float32)
        return values / AB_SCALE if output == "ab" else values


def load_predictor(spec, num_threads=None, backend="auto"):
    """Turn a MODEL argument into a predictor: `gray`, a shipped model name ("default"), a run
    folder, `.keras`, SavedModel folder, or `.tflite`.

    A shipped model runs as its fp32 `.tflite` under `backend="auto"` or `"tflite"` (the
    fastest path, and exact: it matches the SavedModel to ~95 dB, tflite/README.md), and as
    its SavedModel under `"keras"`. `.tflite` files always run in LiteRT. Only the keras
    paths import TensorFlow and Keras.
    """
    from kcolor.shipped import SHIPPED_NAMES, shipped_model_path

    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if spec == GRAY_BASELINE:
        return GrayBaseline()
    if spec == HINTS_ONLY_BASELINE:
        return HintsOnlyBaseline()
    if spec == LEVIN_BASELINE:
        return LevinBaseline()
    if spec in SHIPPED_NAMES:
        if backend == "auto":
            backend = "tflite"
        path = shipped_model_path(spec, backend=backend)
        if backend == "tflite":
            return LiteRTGenerator(path, spec, num_threads=num_threads)
        return SavedModelGenerator(path, spec)
    path = Path(spec)
    if path.is_dir() and (path / "generator.keras").is_file():
        return KerasGenerator(path / "generator.keras", str(spec))
    if path.is_dir() and (path / "saved_model.pb").is_file():
        return SavedModelGenerator(path, str(spec))
    if path.is_file() and path.suffix == ".keras":
        return KerasGenerator(path, str(spec))
    if path.is_file() and path.suffix == ".tflite":
        return LiteRTGenerator(path, str(spec), num_threads=num_threads)
    if path.exists():
        raise ModelLoadError(
            f"{spec}: not a run folder, .keras file, SavedModel folder or .tflite file"
        )
    raise ModelLoadError(
        f"{spec}: no such model (a run folder, .keras, SavedModel folder, .tflite, 'default' "
        "or 'gray')"
    )
