"""A static, self-contained preview of the dashboards and the link chain (`provision.py preview`)."""
