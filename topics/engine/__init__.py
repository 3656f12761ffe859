"""The hotspot engine over the executor seam: pieces, blocks and their kernel, one run
skeleton (``run``) that the weekly alert (``alert``), the range report (``range``) and
replay build on, describing (``describe``) and the alert state (``state``)."""
