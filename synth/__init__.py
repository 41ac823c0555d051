"""Synthetic schools and provinces: realistic import files plus the truth they encode.

Nothing here is about real students. ``guanai synth school`` writes one school's import files
(docs/import.md) and ``guanai synth province`` a whole province of them; each run also writes
``ground_truth.json`` with the true values of the key indicators and the problems planted.
"""

from common.errors import GuanaiError


class SynthError(GuanaiError):
    """A request the generator cannot honour (bad code, period or size)."""
