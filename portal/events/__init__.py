"""Events, their speakers, programme and streams: models and the rules about them."""
