"""hotline-nlp: auto-tagging, hotspots and bulletins for 12345 hotline complaints.

Data flows one way: ``corpus`` (load, validate, normalise, segment, embed) ->
``classifier`` and ``topics`` (learn, tag, cluster, score) -> ``bulletin`` and
``service`` (present). Nothing downstream is imported upstream.
"""

__version__ = "0.1.0"
