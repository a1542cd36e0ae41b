"""The sample export: a seeded generator of a realistic fictional Dutch contact-centre export
(e-mail, chat, call transcripts in many formats) plus its ground truth. See data/sample/README.md."""

from pipeline.sample.generate import GROUND_TRUTH, GT_COLUMNS, generate

__all__ = ["generate", "GROUND_TRUTH", "GT_COLUMNS"]
