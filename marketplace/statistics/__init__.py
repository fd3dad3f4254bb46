"""Programme statistics (step 7): the officers' dashboard figures, charts and exports."""
