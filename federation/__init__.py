"""The ActivityPub adapter: keys and signatures, documents, the inbox and outgoing delivery."""
