"""What the agent and the controller share — their contract, and nothing else."""
