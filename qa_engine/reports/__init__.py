"""PDF reports: the assessment report, the decision letter and the micro-credential description sheet.

`data` describes what a report shows; `render` turns it into PDF bytes. Only this package imports WeasyPrint.
"""
