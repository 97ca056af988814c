"""Notice channels beyond Telegram: WeCom group robots, DingTalk custom robots and email.
They share the outbox with Telegram; each platform has its own sender and limits."""
