"""Test infrastructure shared by the quality checks: a GitHub-Pages-like server, build helpers,
the crawler, and the skip-or-fail rule for system parts (Chromium, Java, npm packages)."""
