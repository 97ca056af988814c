"""The public web site: what an enterprise's QR code opens in any phone browser (WeChat's
included), the anonymous tip on the web, and the public agency directory. Pages are rendered
on the server (no JavaScript, no cookies, no third-party requests)."""
