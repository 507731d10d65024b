"""Project commands (COMMANDS_MODULE): Scrapy's own, with site definitions checked first."""
