"""Enterprise needs (技术需求): proposals that link providers' listings, shortlisting, decline feedback, solving."""
