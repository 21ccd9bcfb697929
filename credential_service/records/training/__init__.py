"""Training institutions (培训机构) and what they post: the directory (``institutions``), classes with
their rosters (``service``), and enrolments, attendance and completions (``postings``), each row an
entry in the person's lifelong file."""
