"""klantvraag: wat vraagt de klant nu echt?

A batch pipeline over a contact-centre export: ingest -> nlp -> reasons -> tagging -> report,
each stage reading and writing tables in one DuckDB file (see :mod:`pipeline.store`).
"""

__version__ = "0.1.0"
