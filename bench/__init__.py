"""Benchmark tools: a synthetic site generator and a runner comparing site_src with its peers."""
