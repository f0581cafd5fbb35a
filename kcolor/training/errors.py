"""The one error a training run raises for what the user can fix (the CLI prints it as one line)."""


class TrainingError(RuntimeError):
    """A run that cannot start or had to stop; the message says why and what is kept."""
