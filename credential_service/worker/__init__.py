"""What a worker does with their own lifelong file: read it, share certificates, see who checked
them, take it away (a signed CLR 2.0 export); their pages, and the staff's view of a file."""
