"""One module per strategy; each ranks the balanced outlets, the engine enforces the rules."""
