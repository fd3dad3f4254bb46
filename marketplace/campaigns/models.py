"""Campaign life cycle, expertise offers, resource pledges, updates and questions (step 4)."""
