"""Deterministic generator of the bundled synthetic 12345 demo corpus.

The project ships a labelled demo corpus (``corpus/data/demo_complaints.csv``)
so that every feature (tagging, hotspots, emerging-issue detection, bulletins,
unit rankings) can be demonstrated and tested without real citizen data, which
cannot be redistributed. It is built to be about as hard to tag as real 12345
data, not a toy. This sub-package is the only thing that writes it:

- ``places``: invented and public place names (districts, streets, 小区, shops ...)
  and the slot fillers that put them into text;
- ``phrasing``: the fragment grammar (``[a|b]`` choices, ``{slot}`` fillers) and the
  composer that assembles a complaint; ``stock`` (openings, demands, history,
  asides), ``paraphrase`` (word swaps, typing slips) and ``titles`` serve it;
- ``topics_*``: per-category fragment pools (one ``Group`` per first-level category),
  gathered in ``catalog``;
- ``bridges`` (+ ``bridges_home``, ``bridges_public``): texts that fit two or three
  categories, labelled by weights, as different operators would file them;
- ``vague``: thin records that name only the area of the problem, or nothing;
- ``noise``: operator label noise (a plausible neighbouring category), recorded;
- ``planted``: the planted emerging issue (物业阻挠安装充电桩) and its weekly schedule;
- ``units``: routing to handling units and their (invented) service quality;
- ``rows``: how many rows of each kind, their dates, voices, texts, labels, handling;
- ``generate``: the command line entry point that writes the CSV and the JSON keys.

Run ``python -m devtools.synth.generate --help``.
"""
