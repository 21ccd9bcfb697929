"""A generated province for the supervision checks (issue 14, decision 041): ``world`` lays out
people, institutions, classes, exams, certificates and claims in memory with planted cases of every
check; ``store`` writes them in bulk as the services would; ``generate`` runs both, the full scan,
and scores what the checks found against what was planted."""
