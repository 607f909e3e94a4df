# A container recipe for the bot. It is NOT built in CI: adapt it, build it and try it
# before relying on it (README, "Deployment").
#
#   docker build -t itp-bot .
#   docker run -d --name itp-bot -v itp-data:/data \
#       -e TELEGRAM_BOT_TOKEN=... -e ADMIN_IDS=... itp-bot
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

# A regular package install: the knowledge ships inside the package.
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY knowledge ./knowledge
RUN pip install . && rm -rf /src

# Never run as root. Everything the bot writes lives on the /data volume.
RUN useradd --create-home --uid 10001 itpbot && mkdir -p /data && chown itpbot /data
USER itpbot
WORKDIR /data
ENV DATA_PATH=/data/questions.sqlite3 \
    KNOWLEDGE_PATH=/data/knowledge
VOLUME ["/data"]
EXPOSE 8080

# On the first start, copy the shipped knowledge onto the volume, where the admins can
# change it from Telegram; later starts keep what is there.
CMD ["sh", "-c", "ls \"$KNOWLEDGE_PATH\"/*.yaml >/dev/null 2>&1 || python -m bot init-knowledge \"$KNOWLEDGE_PATH\"; exec python -m bot run"]
