"""The market maker: Avellaneda-Stoikov quoting (``quoting``), risk controls (``risk``), analytics
(``analytics``) and the bot that ties them to the keeper runtime (``bot``)."""
