"""Browser tests: real pages in Debian's headless Chromium, driven by Playwright, at phone size."""
