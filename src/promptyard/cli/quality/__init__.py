"""`promptyard scan`: quality and security findings of files, a prompt or a project."""
