"""Deterministic generator of the bundled synthetic 12345 demo corpus.

The project ships a labelled demo corpus (``corpus/data/demo_complaints.csv``)
so that every feature (tagging, hotspots, emerging-issue detection, bulletins,
unit rankings) can be demonstrated and tested without real citizen data, which
cannot be redistributed. This sub-package is the only thing that writes it:

- ``places``: invented and public place names (districts, streets, 小区, shops ...)
  and the slot fillers that put them into text;
- ``phrasing``: the fragment grammar (``[a|b]`` choices, ``{slot}`` fillers), the
  generic openings / closings, typos and the composer that assembles a complaint;
- ``topics_*``: per-category fragment pools (one ``Group`` per first-level category);
- ``planted``: the planted emerging issue (物业阻挠安装充电桩) and its weekly schedule;
- ``units``: routing to handling units and their (invented) service quality;
- ``generate``: the command line entry point that writes the CSV and the JSON key.

Run ``python -m hotline_nlp.corpus.synth.generate --help``.
"""
