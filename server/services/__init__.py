"""Domain services: every change to stored data goes through one of these modules.

They validate, store and publish domain events inside one transaction; they know nothing of
HTTP, HTML or ActivityPub.
"""
