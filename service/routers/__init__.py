"""One router per resource: classify, complaints, hotspots, health."""
