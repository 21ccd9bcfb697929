"""The pages' texts in Chinese and English, one module per kind of page (gathered in ``web.i18n``)."""
