"""Response -> raw article fields: site selectors, then page metadata, then generic reading."""

from crawler.extract.article import ExtractedArticle, extract_article, language_code

__all__ = ["ExtractedArticle", "extract_article", "language_code"]
