"""三筹 crowdfunding campaigns: money (筹资金), expertise (筹智慧) and resources (筹资源)."""
