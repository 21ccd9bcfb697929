"""Programme statistics (issue 14, §3 of the 2022–2025 plan): certificates by city, occupation, level
and month; the skilled and high-skilled shares against the plan's targets per city, over employment
figures loaded as configured input; subsidised trainings per year. Every figure is an aggregate
(no name, no number), shown on ``/stats`` and ``/admin/dashboard`` and downloadable as CSV and Excel."""
