/**
 * Spanish (default) dictionary. It is the source of truth for the `Messages`
 * type: every other locale must provide exactly the same keys.
 * Parameterised strings are functions so their arguments are type-checked.
 */
export const es = {
  app: {
    name: 'Taquilla',
    tagline: 'Eventos y entradas, sin complicaciones',
  },
  a11y: {
    skipToContent: 'Saltar al contenido principal',
    mainNav: 'Navegación principal',
    footerNav: 'Enlaces del pie de página',
    language: 'Idioma',
    loading: 'Cargando…',
    notifications: 'Notificaciones',
    dismiss: 'Cerrar notificación',
    homeLink: 'Taquilla, ir al inicio',
  },
  nav: {
    home: 'Inicio',
    status: 'Estado',
  },
  home: {
    title: 'Inicio',
    heroTitle: 'Tus próximos planes empiezan aquí',
    heroLead:
      'Descubre conciertos, obras de teatro, charlas y festivales cerca de ti, y consigue tus entradas en segundos.',
    heroPrimary: 'Ver próximos eventos',
    heroSecondary: 'Estado de la plataforma',
    upcomingTitle: 'Próximos eventos',
    upcomingLoading: 'Cargando próximos eventos…',
    upcomingEmpty: 'Todavía no hay eventos publicados. ¡Vuelve pronto!',
    upcomingUnavailableTitle: 'El catálogo estará disponible muy pronto',
    upcomingUnavailable: 'Estamos preparando la cartelera. Mientras tanto, puedes consultar el estado de la plataforma.',
    upcomingErrorTitle: 'No pudimos cargar los eventos',
    upcomingError: 'Comprueba tu conexión e inténtalo de nuevo.',
    retry: 'Reintentar',
    startsAt: 'Fecha',
    venue: 'Lugar',
  },
  status: {
    title: 'Estado de la plataforma',
    lead: 'Disponibilidad en tiempo real de los servicios que componen Taquilla.',
    overallReady: 'Todos los sistemas funcionan con normalidad',
    overallNotReady: 'Algunos servicios no están disponibles',
    dependencies: 'Dependencias',
    up: 'Operativo',
    down: 'Caído',
    refresh: 'Actualizar',
    refreshing: 'Actualizando…',
    refreshed: 'Estado actualizado',
    lastChecked: (time: string) => `Última comprobación: ${time}`,
    noChecks: 'La plataforma no ha informado de ninguna dependencia.',
    errorTitle: 'No se pudo consultar el estado',
    errorBody: 'La pasarela de la plataforma no responde. Inténtalo de nuevo en unos instantes.',
    correlation: (id: string) => `Referencia: ${id}`,
    names: {
      identity_svc: 'Servicio de identidad',
      event_svc: 'Servicio de eventos',
      notification_svc: 'Servicio de notificaciones',
      redis: 'Caché (Redis)',
    } as Record<string, string>,
  },
  notFound: {
    title: 'Página no encontrada',
    body: 'La página que buscas no existe o se ha movido.',
    home: 'Volver al inicio',
  },
  error: {
    title: 'Algo salió mal',
    body: 'Se produjo un error inesperado al mostrar esta sección.',
    retry: 'Reintentar',
    home: 'Volver al inicio',
    details: 'Detalles técnicos',
  },
  footer: {
    copyright: (year: number) => `© ${year} Taquilla · Software libre`,
    status: 'Estado del servicio',
    apiDocs: 'Documentación de la API',
  },
};

export type Messages = typeof es;
