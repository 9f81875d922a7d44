# https://developers.home-assistant.io/docs/add-ons/configuration#add-on-dockerfile
# The Supervisor passes BUILD_FROM from build.yaml; the default lets a plain `docker build` work.
ARG BUILD_FROM=ghcr.io/home-assistant/amd64-base-python:3.13-alpine3.21
FROM $BUILD_FROM

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/opt/oura-addon \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OURA_ADDON_DATA=/data

WORKDIR /opt/oura-addon

# Dependencies first, so code changes do not reinstall them.
COPY requirements.txt scripts/cldr_subset.py ./
# Babel ships CLDR data for ~1000 locales (32 MB); the panel formats numbers, dates, times
# and durations in its five languages (and their regions): the image keeps those locales
# and, of their tables, what these formats read (about 3 MiB less memory at run time).
RUN pip install --no-cache-dir -r requirements.txt \
    && python3 cldr_subset.py \
    && rm cldr_subset.py

COPY oura_addon/ ./oura_addon/
# The run script starts python3 -OO: compile what it loads once here, at that level, so no
# start compiles it again (PYTHONDONTWRITEBYTECODE keeps the running add-on from writing).
# Test folders are skipped: some hold files that are not Python on purpose.
RUN python3 -OO -m compileall -q -j 0 -x '/(test|tests|idle_test)/' \
        "$(python3 -c 'import sysconfig; print(sysconfig.get_path("stdlib"))')" \
        "$(python3 -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" \
        oura_addon \
    > /dev/null
COPY rootfs /

ARG BUILD_ARCH
ARG BUILD_DATE
ARG BUILD_REF
ARG BUILD_VERSION
ARG BUILD_REPOSITORY=oura-ha/oura-addon

LABEL \
    io.hass.name="Oura Ring" \
    io.hass.description="Brings your Oura Ring's data into Home Assistant" \
    io.hass.arch="${BUILD_ARCH}" \
    io.hass.type="addon" \
    io.hass.version="${BUILD_VERSION}" \
    maintainer="Oura add-on developers" \
    org.opencontainers.image.title="Oura Ring" \
    org.opencontainers.image.description="Brings your Oura Ring's data into Home Assistant" \
    org.opencontainers.image.vendor="Oura add-on developers" \
    org.opencontainers.image.licenses="MIT" \
    org.opencontainers.image.url="https://github.com/${BUILD_REPOSITORY}" \
    org.opencontainers.image.source="https://github.com/${BUILD_REPOSITORY}" \
    org.opencontainers.image.documentation="https://github.com/${BUILD_REPOSITORY}/blob/main/DOCS.md" \
    org.opencontainers.image.created="${BUILD_DATE}" \
    org.opencontainers.image.revision="${BUILD_REF}" \
    org.opencontainers.image.version="${BUILD_VERSION}"
