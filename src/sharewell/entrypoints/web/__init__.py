"""Server-rendered pages in the GOV.UK Design System look."""
