"""demo_portal package."""
